/*===- bf16_dot_peak.c - Measured vdpbf16ps peak of this machine ----------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * A register-blocked loop of independent AVX512-BF16 dot products
 * (vdpbf16ps: 16 lanes, each adding two bf16 products to an f32), 12
 * accumulators to hide the latency, no memory traffic: the practical limit
 * of a bf16 matmul with f32 accumulation on this core. Counts 2 FLOPs per
 * product (64 per instruction). Prints GFLOP/s for 1 thread and all
 * threads.
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#define ACCUMULATORS 12

static double run(int threads, long iterations) {
  double start = omp_get_wtime();
  float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    __m512 acc[ACCUMULATORS];
    __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80); /* (1, 1) */
    __m512bh b = (__m512bh)_mm512_set1_epi32(0x33d633d6); /* ~1e-7 */
    for (int i = 0; i < ACCUMULATORS; ++i)
      acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; ++it)
      for (int i = 0; i < ACCUMULATORS; ++i)
        acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    for (int i = 0; i < ACCUMULATORS; ++i)
      sink += _mm512_reduce_add_ps(acc[i]);
  }
  double seconds = omp_get_wtime() - start;
  if (sink == 42.0f)
    printf(" ");
  return 64.0 * ACCUMULATORS * (double)iterations * threads / seconds / 1e9;
}

int main(void) {
  long iterations = 2000000000L / ACCUMULATORS;
  run(1, iterations / 10); /* warm up clocks */
  double one = run(1, iterations);
  int all = omp_get_max_threads();
  double many = run(all, iterations);
  printf("bf16_dot_peak_gflops_1thread %.1f\n", one);
  printf("bf16_dot_peak_gflops_%dthreads %.1f\n", all, many);
  return 0;
}
