/*===- fma_peak.c - Measured FP32 FMA and vdpbf16ps peaks -----------------===*
 *
 * Part of the GPT-3 compiler, under the Apache License v2.0.
 *
 * Register-blocked loops of independent vector instructions (12
 * accumulators hide the latency) per thread, with no memory traffic: the
 * machine's practical limits. FP32 FMAs count 2 FLOPs per lane; where the
 * compiler targets AVX512-BF16, so do its dot products (vdpbf16ps: 16
 * lanes, each adding two bf16 products to an f32, 64 FLOPs), the limit of
 * a bf16 matmul with f32 accumulation. Prints GFLOP/s for 1 thread and all
 * threads, one line each.
 *
 *===----------------------------------------------------------------------===*/

#include <omp.h>
#include <stdio.h>
#ifdef __AVX512BF16__
#include <immintrin.h>
#endif

#define ACCUMULATORS 12
#define LANES 16

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

/* Runs `iterations` steps of ACCUMULATORS FP32 FMAs; returns their sum. */
static float fmaLoop(long iterations) {
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
  float sum = 0;
  for (int i = 0; i < ACCUMULATORS; ++i)
    for (int l = 0; l < LANES; ++l)
      sum += acc[i][l];
  return sum;
}

#ifdef __AVX512BF16__
/* The same with vdpbf16ps. */
static float bf16DotLoop(long iterations) {
  __m512 acc[ACCUMULATORS];
  __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80); /* (1, 1) */
  __m512bh b = (__m512bh)_mm512_set1_epi32(0x33d633d6); /* ~1e-7 */
  for (int i = 0; i < ACCUMULATORS; ++i)
    acc[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < ACCUMULATORS; ++i)
      acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  float sum = 0;
  for (int i = 0; i < ACCUMULATORS; ++i)
    sum += _mm512_reduce_add_ps(acc[i]);
  return sum;
}
#endif

/* GFLOP/s of `loop` on `threads` threads, `flops` per accumulator step. */
static double run(float (*loop)(long), double flops, int threads,
                  long iterations) {
  double start = omp_get_wtime();
  float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  sink += loop(iterations);
  double seconds = omp_get_wtime() - start;
  if (sink == 42.0f)
    printf(" ");
  return flops * ACCUMULATORS * (double)iterations * threads / seconds / 1e9;
}

/* Prints `name`'s peak on 1 thread and on all threads. */
static void report(const char *name, float (*loop)(long), double flops) {
  long iterations = 2000000000L / ACCUMULATORS;
  run(loop, flops, 1, iterations / 10); /* warm up clocks */
  double one = run(loop, flops, 1, iterations);
  int all = omp_get_max_threads();
  double many = run(loop, flops, all, iterations);
  printf("%s_gflops_1thread %.1f\n", name, one);
  printf("%s_gflops_%dthreads %.1f\n", name, all, many);
}

int main(void) {
  report("fma_peak", fmaLoop, 2.0 * LANES);
#ifdef __AVX512BF16__
  report("bf16_dot_peak", bf16DotLoop, 64.0);
#endif
  return 0;
}
