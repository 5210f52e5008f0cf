;; AdamW's element-wise update (packages/training/src/optim/adamw.ts) in WebAssembly SIMD, four elements
;; at a time, with the same float32 arithmetic as the JavaScript loops there: every float32 operation
;; (f32x4 mul, sub, add, div, sqrt) is IEEE's correctly rounded one, which is what Math.fround of the
;; double result gives for one operation on float32 values; torch's fused multiply-adds (lerp, addcmul)
;; are computed as JavaScript computes them: the product exactly in double, the sum rounded to double,
;; then to float32.
;;
;; Hand-written because it must reproduce that arithmetic exactly (no library does torch's AdamW in
;; WebAssembly). The bytes that ship are generated from this file: `node scripts/build-wasm.mjs`
;; writes adamw-simd.wasm.ts (a test checks that they match).
;;
;; Memory: four float32 arrays of CHUNK = 16384 elements, p at byte 0, g at 65536, m at 131072, v at
;; 196608; the caller copies a chunk in, calls `adamw`, and copies p, m and v out. `sumsq` (gradient
;; clipping's measure) reads the g array alone.
(module
  (memory (export "memory") 4 4)

  ;; a + b·c per lane: the product exact in double, the sum rounded to double, then to float32.
  (func $fma (param $a v128) (param $b v128) (param $c v128) (result v128)
    (local $lo v128) (local $hi v128)
    (local.set $lo
      (f64x2.add
        (f64x2.promote_low_f32x4 (local.get $a))
        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $b)) (f64x2.promote_low_f32x4 (local.get $c)))))
    (local.set $hi
      (f64x2.add
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a) (local.get $a)))
        (f64x2.mul
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $b) (local.get $b)))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $c) (local.get $c))))))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo))
      (f32x4.demote_f64x2_zero (local.get $hi))))

  ;; Updates the first n elements of the chunk (n rounded up to a multiple of 4), per element:
  ;;   g' = f(g · gradScale)
  ;;   m  = f(m + w · f(g' − m))          (small: torch's lerp for |1 − β1| < 0.5, w = 1 − β1)
  ;;   m  = f(g' + w · f(g' − m))         (not small: w = (1 − β1) − 1)
  ;;   v  = f(f(v · β2) + f(c2 · g') · g')
  ;;   p  = f(f(p · decay) + f(f(negStep · m) / f(f(f(√v) / bc2Sqrt) + eps)))
  (func (export "adamw") (param $n i32) (param $small i32)
      (param $gradScale f32) (param $decay f32) (param $w f32) (param $b2 f32) (param $c2 f32)
      (param $bc2Sqrt f32) (param $eps f32) (param $negStep f32)
    (local $i i32) (local $end i32) (local $g v128) (local $m v128) (local $v v128) (local $d v128)
    (local $kScale v128) (local $kDecay v128) (local $kW v128) (local $kB2 v128) (local $kC2 v128)
    (local $kBc2 v128) (local $kEps v128) (local $kNeg v128)
    (local.set $kScale (f32x4.splat (local.get $gradScale)))
    (local.set $kDecay (f32x4.splat (local.get $decay)))
    (local.set $kW (f32x4.splat (local.get $w)))
    (local.set $kB2 (f32x4.splat (local.get $b2)))
    (local.set $kC2 (f32x4.splat (local.get $c2)))
    (local.set $kBc2 (f32x4.splat (local.get $bc2Sqrt)))
    (local.set $kEps (f32x4.splat (local.get $eps)))
    (local.set $kNeg (f32x4.splat (local.get $negStep)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $g (f32x4.mul (v128.load offset=65536 (local.get $i)) (local.get $kScale)))
        (local.set $d (f32x4.sub (local.get $g) (v128.load offset=131072 (local.get $i))))
        (local.set $m
          (if (result v128) (local.get $small)
            (then (call $fma (v128.load offset=131072 (local.get $i)) (local.get $kW) (local.get $d)))
            (else (call $fma (local.get $g) (local.get $kW) (local.get $d)))))
        (local.set $v
          (call $fma
            (f32x4.mul (v128.load offset=196608 (local.get $i)) (local.get $kB2))
            (f32x4.mul (local.get $kC2) (local.get $g))
            (local.get $g)))
        (v128.store offset=131072 (local.get $i) (local.get $m))
        (v128.store offset=196608 (local.get $i) (local.get $v))
        (v128.store (local.get $i)
          (f32x4.add
            (f32x4.mul (v128.load (local.get $i)) (local.get $kDecay))
            (f32x4.div
              (f32x4.mul (local.get $kNeg) (local.get $m))
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $v)) (local.get $kBc2)) (local.get $kEps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; The sum of squares of the first n gradient elements (at byte 65536; n a multiple of 4), in double:
  ;; each square exact, lanes 0-1 and 2-3 summed apart, then ((l0 + l1) + (l2 + l3)).
  (func (export "sumsq") (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $lo v128) (local $hi v128) (local $a v128) (local $b v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x (v128.load offset=65536 (local.get $i)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $x)))
        (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x))))
        (local.set $a (f64x2.add (local.get $a) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $b (f64x2.add (local.get $b) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
      (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b))))))
