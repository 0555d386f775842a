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
 * With bf16, A and B are bf16 (the same random values rounded to nearest
 * even) and C is f32, and the peer is oneDNN's matmul primitive on bf16
 * (B in its plain layout, as ours reads it).
 *
 *   matmul M N K N|T WORKSPACE_BYTES [bf16]
 *
 *===----------------------------------------------------------------------===*/

#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gpt3_entry_kernel(void **args);

/* f32 -> bf16, rounding to nearest even (no NaNs here). */
static unsigned short *toBf16(const float *f, long count) {
  unsigned short *h = aligned_alloc(64, (count * 2 + 63) / 64 * 64);
  for (long i = 0; i < count; ++i) {
    unsigned bits;
    memcpy(&bits, &f[i], 4);
    h[i] = (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  }
  return h;
}

/* oneDNN's matmul primitive C = A B on bf16 A (M, K) and B (K, N) into f32
 * C, built once. */
typedef struct {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_primitive_t primitive;
  dnnl_exec_arg_t args[3];
} Bf16Matmul;

static void check(dnnl_status_t status, const char *what) {
  if (status != dnnl_success) {
    fprintf(stderr, "oneDNN: %s failed (%d)\n", what, (int)status);
    exit(1);
  }
}

static void bf16MatmulInit(Bf16Matmul *p, long m, long n, long k, void *a,
                           void *b, float *c) {
  dnnl_memory_desc_t aDesc, bDesc, cDesc;
  dnnl_dims_t aDims = {m, k}, bDims = {k, n}, cDims = {m, n};
  check(dnnl_engine_create(&p->engine, dnnl_cpu, 0), "engine");
  check(dnnl_stream_create(&p->stream, p->engine, dnnl_stream_default_flags),
        "stream");
  check(dnnl_memory_desc_init_by_tag(&aDesc, 2, aDims, dnnl_bf16, dnnl_ab),
        "A");
  check(dnnl_memory_desc_init_by_tag(&bDesc, 2, bDims, dnnl_bf16, dnnl_ab),
        "B");
  check(dnnl_memory_desc_init_by_tag(&cDesc, 2, cDims, dnnl_f32, dnnl_ab),
        "C");
  dnnl_matmul_desc_t desc;
  check(dnnl_matmul_desc_init(&desc, &aDesc, &bDesc, NULL, &cDesc), "desc");
  dnnl_primitive_desc_t pd;
  check(dnnl_primitive_desc_create(&pd, &desc, NULL, p->engine, NULL),
        "primitive desc");
  check(dnnl_primitive_create(&p->primitive, pd), "primitive");
  dnnl_memory_t memories[3];
  check(dnnl_memory_create(&memories[0], &aDesc, p->engine, a), "A memory");
  check(dnnl_memory_create(&memories[1], &bDesc, p->engine, b), "B memory");
  check(dnnl_memory_create(&memories[2], &cDesc, p->engine, c), "C memory");
  int kinds[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
  for (int i = 0; i < 3; ++i)
    p->args[i] = (dnnl_exec_arg_t){kinds[i], memories[i]};
  const char *impl = "";
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  fprintf(stderr, "oneDNN bf16 matmul: %s\n", impl);
}

static void bf16MatmulRun(Bf16Matmul *p) {
  check(dnnl_primitive_execute(p->primitive, p->stream, 3, p->args),
        "execute");
  check(dnnl_stream_wait(p->stream), "wait");
}

static float *randomMatrix(long count, unsigned seed) {
  float *m = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
  for (long i = 0; i < count; ++i) {
    seed = seed * 1664525u + 1013904223u;
    m[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
  }
  return m;
}

int main(int argc, char **argv) {
  if (argc != 6 && !(argc == 7 && strcmp(argv[6], "bf16") == 0)) {
    fprintf(stderr, "usage: %s M N K N|T WORKSPACE_BYTES [bf16]\n", argv[0]);
    return 2;
  }
  int bf16 = argc == 7;
  long m = atol(argv[1]), n = atol(argv[2]), k = atol(argv[3]);
  char layout = argv[4][0];
  long workspace = atol(argv[5]);
  float *a = randomMatrix(m * k, 1), *b = randomMatrix(k * n, 2);
  float *ours = randomMatrix(m * n, 3), *theirs = randomMatrix(m * n, 4);
  char *scratch = aligned_alloc(64, (workspace + 127) / 64 * 64);
  void *args[] = {a, b, ours, scratch};
  long ldb = layout == 'T' ? k : n;
  Bf16Matmul peer;
  if (bf16) {
    if (layout != 'N') {
      fprintf(stderr, "bf16 takes layout N\n");
      return 2;
    }
    args[0] = toBf16(a, m * k);
    args[1] = toBf16(b, k * n);
    bf16MatmulInit(&peer, m, n, k, args[0], args[1], theirs);
  }

  double flops = 2.0 * m * n * k;
  int reps = (int)(2e10 / flops) + 2;
  double best[2] = {1e30, 1e30};
  for (int round = 0; round < 7; ++round) {
    for (int which = 0; which < 2; ++which) {
      double start = omp_get_wtime();
      for (int r = 0; r < reps; ++r) {
        if (which == 0)
          gpt3_entry_kernel(args);
        else if (bf16)
          bf16MatmulRun(&peer);
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
  printf("matmul %ldx%ldx%ld B=%c %s threads=%d: ours %.1f GFLOP/s, oneDNN "
         "%.1f GFLOP/s, ours %.1f GB/s of B, max difference %.2g\n",
         m, n, k, layout, bf16 ? "bf16" : "f32", omp_get_max_threads(),
         flops / best[0] / 1e9, flops / best[1] / 1e9,
         (bf16 ? 2.0 : 4.0) * k * n / best[0] / 1e9, worst);
  /* Sums of k products of numbers below 0.5 in f32, in another order. */
  if (worst > 1e-5 * k * fmax(scale, 1.0)) {
    fprintf(stderr, "results differ from oneDNN by %g\n", worst);
    return 1;
  }
  return 0;
}
