// The agent shipped as one file: Node 18, ESM, no dependencies, byte-identical for identical sources.
import { createHash } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

// Set by the pre-built CLI (src/build/cli-bundle.ts): the agent bundled when the CLI was.
declare const GFS_PREBUILT_AGENT: { code: string; sha256: string } | undefined

/** Builds the agent bundle with esbuild and returns it with its sha256 (the provisioner compares digests). */
export async function bundleAgent(): Promise<{ code: string; sha256: string }> {
  if (typeof GFS_PREBUILT_AGENT !== 'undefined') return GFS_PREBUILT_AGENT
  const esbuild = await import('esbuild')
  const root = resolve(here, '../..')
  const result = await esbuild.build({
    entryPoints: [join(here, 'main.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'esm',
    banner: { js: '#!/usr/bin/env node' },
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].text
  return { code, sha256: createHash('sha256').update(code).digest('hex') }
}
