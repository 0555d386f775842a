/*===- adamw.c - Generated AdamW update against the triad bandwidth --------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * Times one tfm.adamw update of a parameter of ROWS x COLS floats that our
 * CPU pipeline compiled (an object exporting gpt3_entry_kernel, arguments
 * step, lr, clip norm, parameter, gradient, first and second moment, then
 * the workspace), updated in place as in a training step. Prints the
 * bytes it moves per second, counted as STREAM counts them: four arrays
 * read and three written, 28 bytes per element. Exits 1 when an updated
 * element differs from the update computed here in double precision.
 *
 *   adamw ROWS COLS WORKSPACE_BYTES
 *
 *===----------------------------------------------------------------------===*/

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void gpt3_entry_kernel(void **args);

static float *filled(long count, float base, float step) {
  float *x = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
#pragma omp parallel for schedule(static)
  for (long i = 0; i < count; ++i)
    x[i] = base + step * (float)(i % 1000);
  return x;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s ROWS COLS WORKSPACE_BYTES\n", argv[0]);
    return 2;
  }
  long count = atol(argv[1]) * atol(argv[2]);
  long workspace = atol(argv[3]);
  float *p = filled(count, 0.5f, 1e-4f), *g = filled(count, -0.01f, 2e-5f);
  float *m = filled(count, 0.0f, 1e-6f), *v = filled(count, 1e-6f, 1e-9f);
  char *scratch = aligned_alloc(64, (workspace + 127) / 64 * 64);
  int32_t step = 1;
  float lr = 1e-3f, norm = 0.5f;
  void *args[] = {&step, &lr, &norm, p, g, m, v, scratch};

  /* The first update, checked against double precision. */
  long probe = count / 3;
  double p0 = p[probe], g0 = g[probe], m0 = m[probe], v0 = v[probe];
  gpt3_entry_kernel(args);
  double m1 = 0.9 * m0 + 0.1 * g0, v1 = 0.95 * v0 + 0.05 * g0 * g0;
  double update = (m1 / 0.1) / (sqrt(v1 / 0.05) + 1e-8) + 0.1 * p0;
  double expected = p0 - 1e-3 * update;
  if (fabs(p[probe] - expected) > 1e-6 * fabs(expected) + 1e-7) {
    fprintf(stderr, "updated parameter %g, expected %g\n", p[probe], expected);
    return 1;
  }

  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    ++step;
    double start = omp_get_wtime();
    gpt3_entry_kernel(args);
    double seconds = omp_get_wtime() - start;
    if (seconds < best)
      best = seconds;
  }
  printf("adamw %ld elements threads=%d: %.3f ms, %.1f GB/s\n", count,
         omp_get_max_threads(), best * 1e3, 28.0 * count / best / 1e9);
  return 0;
}
