/*===- triad_bandwidth.c - Measured memory triad bandwidth -----------------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * STREAM's triad, a[i] = b[i] + s * c[i], over three 256 MiB arrays with all
 * threads: the machine's practical bandwidth for a kernel that reads two
 * streams and writes one, as an optimizer update does. Prints GB/s counted
 * as STREAM counts it (12 bytes per element), best of a few passes.
 *
 *===----------------------------------------------------------------------===*/

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define FLOATS (64L * 1024 * 1024)

int main(void) {
  float *a = aligned_alloc(64, FLOATS * sizeof(float));
  float *b = aligned_alloc(64, FLOATS * sizeof(float));
  float *c = aligned_alloc(64, FLOATS * sizeof(float));
  if (!a || !b || !c)
    return 1;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < FLOATS; ++i) {
    a[i] = 0;
    b[i] = (float)(i & 1023) * 1e-3f;
    c[i] = 1.0f;
  }
  double best = 0;
  for (int pass = 0; pass < 6; ++pass) {
    float s = 0.5f + pass;
    double start = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < FLOATS; ++i)
      a[i] = b[i] + s * c[i];
    double seconds = omp_get_wtime() - start;
    double gbs = 3.0 * FLOATS * sizeof(float) / seconds / 1e9;
    if (gbs > best)
      best = gbs;
  }
  if (a[FLOATS / 3] == 42.0f)
    printf(" ");
  printf("triad_bandwidth_gbs %.1f\n", best);
  free(a);
  free(b);
  free(c);
  return 0;
}
