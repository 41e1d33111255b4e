#!/usr/bin/env node
// ./provision.mjs [PLAYBOOK] --inventory NAME: runs a playbook against an inventory's hosts.
// Starts the CLI pre-built at install (dist/, `npm run build`) unless a source is newer than it; then from source.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('.', import.meta.url))

function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

function prebuiltIsCurrent() {
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'dist', 'manifest.json'), 'utf8'))
    const playbooks = readdirSync(join(root, 'playbooks')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
    if (playbooks.join() !== manifest.playbooks.join()) return false
    const newest = Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'playbooks')), statSync(join(root, 'package.json')).mtimeMs)
    return newest < manifest.builtAt
  } catch {
    return false
  }
}

let main
if (process.env.GFS_FROM_SOURCE !== '1' && prebuiltIsCurrent()) {
  ;({ main } = await import('./dist/provision.mjs'))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('./src/cli/main.ts'))
}
const self = process.argv.findIndex((arg) => arg.endsWith('provision.mjs'))
process.exitCode = await main(process.argv.slice(self + 1))
