/*===- fma_peak.c - Measured FP32 FMA peak of this machine ----------------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * A register-blocked loop of independent vector FMAs (12 accumulators hide
 * the FMA latency) per thread, with no memory traffic: the machine's
 * practical FP32 FMA limit. Prints GFLOP/s for 1 thread and all threads.
 *
 *===----------------------------------------------------------------------===*/

#include <omp.h>
#include <stdio.h>

#define ACCUMULATORS 12
#define LANES 16

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

static double run(int threads, long iterations) {
  double start = omp_get_wtime();
  float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    vec acc[ACCUMULATORS];
    vec a, b;
    for (int l = 0; l < LANES; ++l) {
      a[l] = 1.0f + 1e-7f * l;
      b[l] = 0.999999f;
    }
    for (int i = 0; i < ACCUMULATORS; ++i)
      acc[i] = a * (float)i;
    for (long it = 0; it < iterations; ++it)
      for (int i = 0; i < ACCUMULATORS; ++i)
        acc[i] = acc[i] * b + a;
    for (int i = 0; i < ACCUMULATORS; ++i)
      for (int l = 0; l < LANES; ++l)
        sink += acc[i][l];
  }
  double seconds = omp_get_wtime() - start;
  if (sink == 42.0f)
    printf(" ");
  return 2.0 * ACCUMULATORS * LANES * (double)iterations * threads / seconds /
         1e9;
}

int main(void) {
  long iterations = 2000000000L / ACCUMULATORS;
  run(1, iterations / 10); /* warm up clocks */
  double one = run(1, iterations);
  int all = omp_get_max_threads();
  double many = run(all, iterations);
  printf("fma_peak_gflops_1thread %.1f\n", one);
  printf("fma_peak_gflops_%dthreads %.1f\n", all, many);
  return 0;
}
