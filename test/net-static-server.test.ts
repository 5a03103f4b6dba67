/** serveStatic answers conditional requests like a real static host, so incremental crawls can be tested against it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';

describe('serveStatic conditional requests', () => {
  let dir: string;
  let site: StaticServer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-static-'));
    await writeFile(path.join(dir, 'index.html'), '<p>one</p>');
    site = await serveStatic(dir);
  });
  afterAll(async () => {
    await site.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('ETag and Last-Modified validate; a changed file gets a new ETag', async () => {
    const first = await fetch(site.url);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(await first.text()).toBe('<p>one</p>');
    expect((await fetch(site.url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(site.url, { headers: { 'if-modified-since': lastModified } })).status).toBe(304);
    expect((await fetch(site.url, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    await writeFile(path.join(dir, 'index.html'), '<p>two, longer</p>');
    const changed = await fetch(site.url, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).toBe('<p>two, longer</p>');
  });
});
