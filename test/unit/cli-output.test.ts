import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../helpers/provision.ts'

test('a reader that closes the output early does not crash the run: it ends with its own exit code', async (t) => {
  // two hosts nobody listens for: the run reports them unreachable (exit 2) after the reader has gone
  const dir = mkdtempSync(join(tmpdir(), 'gfs-pipe-'))
  const inventory = join(dir, 'closed.yaml')
  writeFileSync(inventory, 'all:\n  hosts:\n    hydra:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n    plexus:\n      ansible_host: 127.0.0.1\n      ansible_port: 2\n')
  const child = spawn(process.execPath, ['provision.mjs', '--inventory', inventory, '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.destroy()
  let stderr = ''
  child.stderr.on('data', (b) => (stderr += b))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.is(code, 2, stderr)
  t.notRegex(stderr, /EPIPE|Unhandled/)
})
