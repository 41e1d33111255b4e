// Crash-safe file replacement: the old or the new content survives SIGKILL and power loss.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Writes a file via temp + fsync + rename + directory fsync, so readers never see half of it. */
export function writeFileAtomic(file: string, data: string | Buffer, opts: { durable?: boolean; beforeRename?: () => void } = {}): void {
  const durable = opts.durable ?? true
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp.${process.pid}`
  const fd = openSync(tmp, 'w', 0o644)
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data
    let off = 0
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
    if (durable) fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  opts.beforeRename?.()
  renameSync(tmp, file)
  if (durable) fsyncDir(dirname(file))
}

/** Makes a rename or create in a directory durable. */
export function fsyncDir(dir: string | Buffer): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
