// Named points inside publish, delete, evict, reclaim, remount and prepare where the model test stops or
// kills the agent, to prove a SIGKILL (or the other host acting) right there loses nothing.
// GFS_WRITECACHE_TEST_HOOK=kill@publish:after-place#2 kills at the second time that point is reached;
// stop@... stops the process (SIGSTOP) until the test sends SIGCONT. Read once at start: unset, a point
// costs one comparison.

export const CRASH_POINTS = [
  'publish:temp-created',
  'publish:before-place',
  'publish:linked-before-temp-unlink',
  'publish:after-place',
  'publish:conflict-placed',
  'delete:mid-tree',
  'opaque:mid-apply',
  'offline:after-merge',
  'evict:after-unmount',
  'evict:before-remount',
  'evict:after-remount',
  'reclaim:after-whiteouts',
  'reclaim:after-mark',
  'reclaim:after-batch',
  'reclaim:opaque-cleared',
  'state:saved-before-intents',
  'state:synced-before-rename',
  'state:observed-before-rename',
] as const

export type CrashPoint = (typeof CRASH_POINTS)[number]

interface Hook {
  signal: 'SIGKILL' | 'SIGSTOP'
  at: CrashPoint
  left: number
}

function parseHook(text: string | undefined): Hook | null {
  const m = /^(kill|stop)@([a-z:-]+)(?:#(\d+))?$/.exec(text ?? '')
  if (!m || !(CRASH_POINTS as readonly string[]).includes(m[2])) return null
  return { signal: m[1] === 'kill' ? 'SIGKILL' : 'SIGSTOP', at: m[2] as CrashPoint, left: Math.max(1, Number(m[3] ?? 1)) }
}

const hook = parseHook(process.env.GFS_WRITECACHE_TEST_HOOK)

/** Marks a point where a crash must lose nothing; a no-op unless a test asked for this point. */
export function crashPoint(at: CrashPoint): void {
  if (hook === null || hook.at !== at || hook.left <= 0) return
  if (--hook.left > 0) return
  process.kill(process.pid, hook.signal)
}
