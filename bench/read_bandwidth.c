/*===- read_bandwidth.c - Measured memory read bandwidth -------------------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * Sums a 1 GiB float array with all threads (vectorized, several
 * accumulators), the way a decode step streams its weights: the machine's
 * practical read bandwidth. Prints GB/s, best of a few passes.
 *
 *===----------------------------------------------------------------------===*/

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define FLOATS (256L * 1024 * 1024)

int main(void) {
  float *data = aligned_alloc(64, FLOATS * sizeof(float));
  if (!data)
    return 1;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < FLOATS; ++i)
    data[i] = (float)(i & 1023) * 1e-3f;
  double best = 0;
  float sink = 0;
  for (int pass = 0; pass < 5; ++pass) {
    double start = omp_get_wtime();
    float total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (long i = 0; i < FLOATS; ++i)
      total += data[i];
    double seconds = omp_get_wtime() - start;
    sink += total;
    double gbs = FLOATS * sizeof(float) / seconds / 1e9;
    if (gbs > best)
      best = gbs;
  }
  if (sink == 42.0f)
    printf(" ");
  printf("read_bandwidth_gbs %.1f\n", best);
  free(data);
  return 0;
}
