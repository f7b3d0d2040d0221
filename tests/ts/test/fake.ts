// Starting the membrane-fake binary, and its admin API under /_fake, for the suite.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** What the binary prints on start. */
export interface Ready {
  hubUrl: string
  orgId: string
  adminToken: string
  instances: { id: string; url: string }[]
}

/** A running fake. */
export interface Fake extends Ready {
  process: ChildProcess
  stop(): Promise<void>
}

/** An org of its own, from POST /_fake/orgs. */
export interface Org {
  id: string
  name: string
  members: { role: string; token: string }[]
}

/**
 * startFake runs the binary: MEMBRANE_FAKE_BIN when set, else one built from this repository
 * with `go build`.
 */
export async function startFake(...args: string[]): Promise<Fake> {
  let bin = process.env.MEMBRANE_FAKE_BIN
  if (!bin) {
    bin = join(mkdtempSync(join(tmpdir(), 'membrane-fake-')), 'membrane-fake')
    execFileSync('go', ['build', '-o', bin, './cmd/membrane-fake'], { cwd: resolve(import.meta.dirname, '../../..'), stdio: 'inherit' })
  }
  const child = spawn(bin, [...args, '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((ok, fail) => {
    lines.once('line', ok)
    child.once('exit', (code) => fail(new Error(`membrane-fake exited with ${code} before it was ready`)))
  })
  const ready = JSON.parse(first) as Ready
  return {
    ...ready,
    process: child,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok()
        child.once('exit', () => ok())
        child.kill('SIGTERM')
      }),
  }
}

/** admin calls the fake's admin API with the admin token, and fails on any status but 200. */
export async function admin<T = any>(fake: Ready, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(fake.hubUrl + path, {
    method,
    headers: { Authorization: `Bearer ${fake.adminToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text) as T
}

/** newOrg gives a test an org of its own on the shared fake, with one member per role. */
export function newOrg(fake: Ready, name: string, roles: string[] = ['admin']): Promise<Org> {
  return admin<Org>(fake, 'POST', '/_fake/orgs', { name, members: roles.map((role) => ({ role })) })
}
