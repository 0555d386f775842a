/*===- matmul.c - Generated matmul against oneDNN
 *---------------------------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * Times a matmul that our CPU pipeline compiled (an object exporting
 * gpt3_entry_kernel) against oneDNN's f32 sgemm on the same operands, in
 * the same process, rounds interleaved. B is (K, N), or (N, K) read in place
 * for layout T, as the tied output projection reads the token table.
 * Prints GFLOP/s of both (best round), and for one row the bytes of B
 * streamed per second. Exits 1 when the results differ.
 *
 *   matmul M N K N|T WORKSPACE_BYTES
 *
 *===----------------------------------------------------------------------===*/

#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

void gpt3_entry_kernel(void **args);

static float *randomMatrix(long count, unsigned seed) {
  float *m = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
  for (long i = 0; i < count; ++i) {
    seed = seed * 1664525u + 1013904223u;
    m[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
  }
  return m;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s M N K N|T WORKSPACE_BYTES\n", argv[0]);
    return 2;
  }
  long m = atol(argv[1]), n = atol(argv[2]), k = atol(argv[3]);
  char layout = argv[4][0];
  long workspace = atol(argv[5]);
  float *a = randomMatrix(m * k, 1), *b = randomMatrix(k * n, 2);
  float *ours = randomMatrix(m * n, 3), *theirs = randomMatrix(m * n, 4);
  char *scratch = aligned_alloc(64, (workspace + 127) / 64 * 64);
  void *args[] = {a, b, ours, scratch};
  long ldb = layout == 'T' ? k : n;

  double flops = 2.0 * m * n * k;
  int reps = (int)(2e10 / flops) + 2;
  double best[2] = {1e30, 1e30};
  for (int round = 0; round < 7; ++round) {
    for (int which = 0; which < 2; ++which) {
      double start = omp_get_wtime();
      for (int r = 0; r < reps; ++r) {
        if (which == 0)
          gpt3_entry_kernel(args);
        else
          dnnl_sgemm('N', layout, m, n, k, 1.0f, a, k, b, ldb, 0.0f, theirs, n);
      }
      double seconds = (omp_get_wtime() - start) / reps;
      if (round > 0 && seconds < best[which])
        best[which] = seconds;
    }
  }

  double worst = 0, scale = 0;
  for (long i = 0; i < m * n; ++i) {
    worst = fmax(worst, fabs(ours[i] - theirs[i]));
    scale = fmax(scale, fabs(theirs[i]));
  }
  printf("matmul %ldx%ldx%ld B=%c threads=%d: ours %.1f GFLOP/s, oneDNN "
         "%.1f GFLOP/s, ours %.1f GB/s of B, max difference %.2g\n",
         m, n, k, layout, omp_get_max_threads(), flops / best[0] / 1e9,
         flops / best[1] / 1e9, 4.0 * k * n / best[0] / 1e9, worst);
  /* Sums of k products of numbers below 0.5 in f32, in another order. */
  if (worst > 1e-5 * k * fmax(scale, 1.0)) {
    fprintf(stderr, "results differ from oneDNN by %g\n", worst);
    return 1;
  }
  return 0;
}
