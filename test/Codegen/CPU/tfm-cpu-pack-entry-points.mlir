// RUN: gpt3-opt %s --split-input-file --tfm-cpu-pack-entry-points --verify-diagnostics | FileCheck %s

// A public bare-pointer function gets a packed wrapper that loads each
// argument from argv; the original becomes internal and loses tfm.* names.
// CHECK-LABEL: llvm.func internal @forward(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
//   CHECK-NOT:   tfm.param
//       CHECK: llvm.func @gpt3_entry_forward(%[[ARGV:.*]]: !llvm.ptr)
//       CHECK:   %[[P0:.*]] = llvm.getelementptr %[[ARGV]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//       CHECK:   %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[P1:.*]] = llvm.getelementptr %[[ARGV]][1]
//       CHECK:   %[[A1:.*]] = llvm.load %[[P1]]
//       CHECK:   llvm.call @forward(%[[A0]], %[[A1]])
llvm.func @forward(%a: !llvm.ptr {tfm.param = "wte.weight"}, %b: !llvm.ptr) {
  llvm.return
}

// -----

// expected-error @+1 {{entry point must take only pointers and return nothing}}
llvm.func @negative_scalar(%a: i64) {
  llvm.return
}
