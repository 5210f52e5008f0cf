/**
 * The memory allocator a training process runs with (`ved train --allocator`).
 *
 * A training step allocates and frees gigabytes of intermediates. With
 * onnxruntime's CPU arena (its default) every region the arena ever grew stays
 * resident, and the second step places its tensors on pages the first did not
 * touch: ViT-B/16 + GPT-2 peaks ~1.3 GB above PyTorch. Without the arena each
 * intermediate comes from `malloc`, and glibc's heaps fragment unless its mmap
 * threshold is set low, which then costs a page fault per page per step
 * (updates 1.3–1.5× slower). gperftools' tcmalloc reuses freed spans without
 * returning them to the system and without glibc's fragmentation: arena off under
 * tcmalloc, DeiT-small + TrOCR-small peaks at 3129 MiB instead of 4265 and
 * ViT-B/16 + GPT-2 at 5939 instead of 6759, at the arena's speed
 * (docs/training.md, "Speed and memory"). An allocator is chosen when a process
 * starts (`LD_PRELOAD`), so `ved train` runs its work in a child process started
 * under tcmalloc when the library is installed (Debian/Ubuntu:
 * `libtcmalloc-minimal4`; Fedora: `gperftools-libs`).
 *
 * jemalloc and mimalloc were measured too and are not used: with their default
 * settings they return freed pages to the system at once (16–17 million page
 * faults in five DeiT + TrOCR updates, 8× slower), and jemalloc with purging off
 * peaks higher than tcmalloc (3281 MiB).
 */
import { existsSync, readFileSync } from 'node:fs';

export type AllocatorName = 'tcmalloc' | 'jemalloc' | 'mimalloc' | 'system';

/** Where distributions install gperftools' tcmalloc (the minimal build: no heap profiler). */
export const TCMALLOC_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', // Debian, Ubuntu: libtcmalloc-minimal4
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4', // Fedora, RHEL: gperftools-libs
  '/usr/lib/libtcmalloc_minimal.so.4', // Arch, Alpine
];

/** The first tcmalloc library of `paths` that exists, or undefined (Linux only). */
export function findTcmalloc(paths: readonly string[] = TCMALLOC_PATHS, exists: (path: string) => boolean = existsSync): string | undefined {
  return paths.find((p) => exists(p));
}

/**
 * The allocator that serves this process's `malloc`: a preloaded tcmalloc,
 * jemalloc or mimalloc among the shared objects it has mapped
 * (`/proc/self/maps`), else the system's.
 */
export function processAllocator(maps: string | undefined = readMaps()): AllocatorName {
  if (maps === undefined) return 'system';
  for (const name of ['tcmalloc', 'jemalloc', 'mimalloc'] as const) {
    if (new RegExp(`/lib${name}[\\w.-]*\\.so`).test(maps)) return name;
  }
  return 'system';
}

function readMaps(): string | undefined {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return undefined; // not Linux
  }
}

/** `LD_PRELOAD` with `library` first (what was preloaded before is kept). */
export function preloadWith(library: string, current: string | undefined): string {
  const rest = (current ?? '').split(/[: ]/).filter((p) => p !== '' && p !== library);
  return [library, ...rest].join(':');
}
