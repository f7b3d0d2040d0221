// The official TypeScript client, @membranehq/sdk, against the fake: each test has an org of
// its own on one shared binary, as a suite in any language would.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { MembraneClient } from '@membranehq/sdk'
import { admin, newOrg, startFake, type Fake, type Org } from './fake.ts'

interface OrgWorkspace {
  id: string
  orgId: string
  key: string
  secret: string
  apiBaseUri: string
  membraneInstanceId?: string
}

interface Customer {
  id: string
  name: string
  internalId: string
  archivedAt?: string
  fields?: Record<string, unknown>
}

let fake: Fake

before(async () => {
  fake = await startFake('--instances', 'eu')
})

after(async () => {
  await fake?.stop()
})

/** platform is the official client with an org member's platform token, at the hub. */
function platform(org: Org): MembraneClient {
  return new MembraneClient({ token: org.members[0].token, apiUri: fake.hubUrl })
}

/** createWorkspace creates a workspace of the org on the instance eu, through the hub. */
async function createWorkspace(org: Org, name: string): Promise<OrgWorkspace> {
  return (await platform(org).post('org-workspaces', { orgId: org.id, name, membraneInstanceId: 'eu' })) as OrgWorkspace
}

/** workspaceClient is the official client with a workspace's key and secret: it mints its own tokens. */
function workspaceClient(ws: OrgWorkspace, apiUri: string, tenantKey?: string): MembraneClient {
  return new MembraneClient({ workspaceKey: ws.key, workspaceSecret: ws.secret, tenantKey, apiUri })
}

describe('the official client', { concurrency: true }, () => {
  test('creates a workspace on an instance, through the hub', async () => {
    const org = await newOrg(fake, 'Workspaces')
    const ws = await createWorkspace(org, 'Production')
    const eu = fake.instances.find((i) => i.id === 'eu')!
    assert.equal(ws.orgId, org.id)
    assert.equal(ws.membraneInstanceId, 'eu')
    assert.equal(ws.apiBaseUri, eu.url)
    const got = (await platform(org).get(`org-workspaces/${ws.id}`)) as OrgWorkspace
    assert.equal(got.secret, ws.secret)
    const instances = (await platform(org).get('membrane-instances', { orgId: org.id })) as { items: { id: string }[] }
    assert.deepEqual(instances.items.map((i) => i.id).sort(), ['eu', 'hub'])
  })

  for (const via of ['apiBaseUri', 'hub'] as const) {
    test(`manages customers at the ${via}`, async () => {
      const org = await newOrg(fake, `Customers via ${via}`)
      const ws = await createWorkspace(org, 'Customers')
      const client = workspaceClient(ws, via === 'hub' ? fake.hubUrl : ws.apiBaseUri)

      const ann = (await client.customers.create({ name: 'Ann', internalId: 'ann', fields: { plan: 'pro' } })) as Customer
      assert.equal(ann.internalId, 'ann')
      await client.customers.create({ name: 'Bob', internalId: 'bob' })

      const found = (await client.customers.find({ search: 'an' })) as { items: Customer[] }
      assert.deepEqual(found.items.map((c) => c.id), [ann.id])
      assert.deepEqual(((await client.customer(ann.id).get()) as Customer).fields, { plan: 'pro' })

      const patched = (await client.customer(ann.id).patch({ name: 'Ann Lee' })) as Customer
      assert.equal(patched.name, 'Ann Lee')

      await client.customer(ann.id).archive()
      const archived = (await client.customer(ann.id).get()) as Customer
      assert.ok(archived.archivedAt, 'an archived customer says when')
      assert.deepEqual(((await client.customers.find()) as { items: Customer[] }).items.map((c) => c.internalId), ['bob'])
      const restored = (await client.customer(ann.id).restore()) as Customer
      assert.equal(restored.archivedAt, undefined)

      // The hub and the instance see the same workspace.
      const other = workspaceClient(ws, via === 'hub' ? ws.apiBaseUri : fake.hubUrl)
      assert.equal(((await other.customer(ann.id).get()) as Customer).name, 'Ann Lee')
    })
  }

  test('findAll reads every page', async () => {
    const org = await newOrg(fake, 'Pages')
    const ws = await createWorkspace(org, 'Many customers')
    const client = workspaceClient(ws, ws.apiBaseUri)
    const total = 1003 // findAll asks for pages of 1000
    for (let i = 0; i < total; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, total - i) }, (_, j) =>
          client.customers.create({ name: `Customer ${i + j}`, internalId: `c-${i + j}` }),
        ),
      )
    }
    const all = (await client.customers.findAll()) as Customer[]
    assert.equal(all.length, total)
    assert.equal(new Set(all.map((c) => c.id)).size, total, 'no customer twice')
    const journal = await admin<{ items: { query: string }[] }>(
      fake,
      'GET',
      `/_fake/journal?method=GET&path=/customers&orgId=${org.id}`,
    )
    assert.ok(journal.items.filter((e) => e.query.includes('cursor=')).length >= 2, 'more than one page was read')
  })

  test('self answers a tenant token minted by the client', async () => {
    const org = await newOrg(fake, 'Self')
    const ws = await createWorkspace(org, 'Tenants')
    for (const apiUri of [ws.apiBaseUri, fake.hubUrl]) {
      const me = (await workspaceClient(ws, apiUri, 'tenant-42').self.get()) as Customer
      assert.equal(me.internalId, 'tenant-42')
    }
  })

  test('a wrong secret is refused', async () => {
    const org = await newOrg(fake, 'Wrong secret')
    const ws = await createWorkspace(org, 'Guarded')
    const wrong = workspaceClient({ ...ws, secret: 'not-the-secret-0123456789' }, ws.apiBaseUri)
    await assert.rejects(wrong.customers.find(), (err: any) => {
      assert.equal(err.isMembraneError, true)
      assert.equal(err.data.key, 'not_authenticated')
      return true
    })
  })

  test('a reset of one org leaves the other org intact', async () => {
    const mine = await newOrg(fake, 'Reset me')
    const theirs = await newOrg(fake, 'Leave me')
    const gone = await createWorkspace(mine, 'Gone')
    const kept = await createWorkspace(theirs, 'Kept')
    await workspaceClient(kept, kept.apiBaseUri).customers.create({ name: 'Stays', internalId: 'stays' })

    await admin(fake, 'POST', `/_fake/reset?orgId=${mine.id}`)

    await assert.rejects(platform(mine).get(`org-workspaces/${gone.id}`), (err: any) => err.data.key === 'not_found')
    assert.deepEqual(((await platform(mine).get('org-workspaces', { orgId: mine.id })) as { items: unknown[] }).items, [])
    assert.equal(((await platform(theirs).get(`org-workspaces/${kept.id}`)) as OrgWorkspace).id, kept.id)
    const customers = (await workspaceClient(kept, kept.apiBaseUri).customers.find()) as { items: Customer[] }
    assert.deepEqual(customers.items.map((c) => c.internalId), ['stays'])
  })

  test('waits for a request instead of sleeping', async () => {
    const org = await newOrg(fake, 'Waiting')
    const ws = await createWorkspace(org, 'Watched')
    const { lastSeq } = await admin<{ lastSeq: number }>(fake, 'GET', '/_fake/journal?path=/nothing')
    const waiting = admin<{ items: { method: string; path: string; seq: number }[] }>(
      fake,
      'GET',
      `/_fake/journal?method=POST&path=/customers&orgId=${org.id}&since=${lastSeq}&wait=10s`,
    )
    await workspaceClient(ws, ws.apiBaseUri).customers.create({ name: 'Late', internalId: 'late' })
    const { items } = await waiting
    assert.equal(items.length, 1)
    assert.ok(items[0].seq > lastSeq)
  })
})
