// Writes a crash interrupts: a real `concord serve image` killed with SIGKILL mid-upload and
// mid-stage leaves its image in saving/uploading and its partial file; started again, the image is
// queued and takes a new upload, and the files are gone. In process: leases of dead writers (and
// images with no lease at all) are recovered, live ones are left alone, partial data counts in the
// quota while it is written, and deleting an image removes it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort } from '../helpers/cloud.js';
import { as, startImage, type TestImage } from '../helpers/image.js';
import { recoverInterruptedWrites } from '../../src/image/recovery.js';
import { THIS_MACHINE, UPLOAD_HEARTBEAT_MS, UPLOAD_LEASE_MS, WRITER_ID } from '../../src/image/uploads.js';

const RAW = { disk_format: 'raw', container_format: 'bare' };
const P1 = { ...as('p1'), 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const partials = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.partial'));

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `concord serve image` (noauth2) on a data dir; resolves once it answers. */
async function serveImage(dataDir: string) {
  const port = await freePort();
  let out = '';
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      '--no-deprecation',
      BIN,
      'serve',
      'image',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--auth-strategy',
      'noauth2',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  await until(`serve image to answer:\n${out}`, () =>
    fetch(base).then(
      () => true,
      () => false,
    ),
  );
  return {
    base,
    log: () => out,
    async call(method: string, path: string, body?: unknown) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: P1,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    /** Starts streaming data to PUT `path`, a chunk every 50 ms, until the request is destroyed. */
    slowPut(path: string) {
      const req = request(`${base}${path}`, {
        method: 'PUT',
        headers: { ...as('p1'), 'content-type': 'application/octet-stream' },
      });
      req.on('error', () => undefined);
      const timer = setInterval(() => req.write(randomBytes(16384)), 50);
      return {
        stop: () => {
          clearInterval(timer);
          req.destroy();
        },
      };
    },
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

describe('a process killed mid-write', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'concord-image-crash-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('leaves images that the next start puts back to queued, without their partial files', async () => {
    const first = await serveImage(dataDir);
    let second: Awaited<ReturnType<typeof serveImage>> | undefined;
    try {
      const uploaded = (await first.call('POST', '/v2/images', { name: 'uploaded', ...RAW })).body;
      const staged = (await first.call('POST', '/v2/images', { name: 'staged', ...RAW })).body;
      const upload = first.slowPut(`/v2/images/${uploaded.id}/file`);
      const stage = first.slowPut(`/v2/images/${staged.id}/stage`);
      await until(
        'both partial files',
        () => partials(join(dataDir, 'images')).length === 1 && partials(join(dataDir, 'image-staging')).length === 1,
      );
      expect((await first.call('GET', `/v2/images/${uploaded.id}`)).body.status).toBe('saving');
      expect((await first.call('GET', `/v2/images/${staged.id}`)).body.status).toBe('uploading');
      await first.kill9();
      upload.stop();
      stage.stop();
      // What the crash left: the partial files (and, in the database, the statuses).
      expect(partials(join(dataDir, 'images'))).toHaveLength(1);

      second = await serveImage(dataDir);
      for (const img of [uploaded, staged]) {
        expect((await second.call('GET', `/v2/images/${img.id}`)).body).toMatchObject({ status: 'queued', size: null });
      }
      expect(partials(join(dataDir, 'images'))).toEqual([]);
      expect(readdirSync(join(dataDir, 'image-staging'))).toEqual([]);
      const again = await fetch(`${second.base}/v2/images/${uploaded.id}/file`, {
        method: 'PUT',
        headers: { ...as('p1'), 'content-type': 'application/octet-stream' },
        body: Buffer.from('data'),
      });
      expect(again.status).toBe(204);
      expect((await second.call('GET', `/v2/images/${uploaded.id}`)).body).toMatchObject({ status: 'active', size: 4 });
    } finally {
      await first.stop();
      await second?.stop();
    }
  }, 60000);
});

describe('upload leases in one process', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage({ config: { userStorageQuota: '200KB' } });
  });
  afterAll(() => t.close());

  /** A slow upload over a real socket, as project p1. */
  async function slowUpload(id: string) {
    const base = await t.address();
    const req = request(`${base}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { ...as('p1'), 'content-type': 'application/octet-stream' },
    });
    const answered = new Promise<number>((r) => {
      req.on('response', (res) => {
        res.resume();
        r(res.statusCode!);
      });
      req.on('error', () => r(0));
    });
    return {
      write: (n: number) => new Promise<void>((r) => req.write(randomBytes(n), () => r())),
      end: () => {
        req.end();
        return answered;
      },
      answered,
    };
  }

  it("counts the data an upload has written so far in its project's quota", async () => {
    const a = await t.create({ name: 'a', ...RAW }, P1);
    const b = await t.create({ name: 'b', ...RAW }, P1);
    const up = await slowUpload(a.id);
    await up.write(150 * 1024);
    // The lease's heartbeat records the bytes received.
    await sleep(UPLOAD_HEARTBEAT_MS + 500);
    const refused = await t.upload(b.id, randomBytes(100 * 1024), as('p1'));
    expect(refused.status).toBe(413);
    expect(refused.body.message).toContain('storage quota');
    expect(await up.end()).toBe(204);
    expect((await t.call('GET', `/v2/images/${a.id}`)).body.size).toBe(150 * 1024);
  });

  it("removes an upload's partial data when its image is deleted, and the upload then fails", async () => {
    const img = await t.create({ name: 'doomed', ...RAW }, P1);
    const up = await slowUpload(img.id);
    await up.write(10000);
    await until('the partial file', () => partials(t.dataDir).length === 1);
    expect((await t.call('DELETE', `/v2/images/${img.id}`, undefined, as('p1'))).status).toBe(204);
    expect(partials(t.dataDir)).toEqual([]);
    expect(await up.end()).toBe(410);
    expect(t.storedFiles().filter((f) => f.includes(img.id))).toEqual([]);
    expect(await t.image.db.selectFrom('image_uploads').selectAll().where('image_id', '=', img.id).execute()).toEqual(
      [],
    );
  });

  it("recovers dead writers' leases and unleased images, and leaves live writers alone", async () => {
    const db = t.image.db;
    const old = new Date(Date.now() - 2 * UPLOAD_LEASE_MS).toISOString();
    const mk = async (name: string, status: string) => {
      const img = await t.create({ name, ...RAW }, P1);
      await db.updateTable('images').set({ status }).where('id', '=', img.id).execute();
      return img.id as string;
    };
    const lease = async (id: string, writer: string, heartbeat: string, store = 'store') => {
      const partial = `.${id}.${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.partial`;
      writeFileSync(join(store === 'store' ? t.dataDir : t.image.staging.dir, partial), 'half');
      await db
        .insertInto('image_uploads')
        .values({ image_id: id, store, partial, writer, bytes: 4, heartbeat_at: heartbeat })
        .execute();
      return partial;
    };
    const stale = await mk('stale lease', 'saving');
    const stalePartial = await lease(stale, `elsewhere|1|x`, old);
    const deadPid = await mk('dead local writer', 'importing');
    const deadPartial = await lease(
      deadPid,
      `${THIS_MACHINE}|${process.pid}|an-earlier-process`,
      new Date().toISOString(),
    );
    const remote = await mk('live remote writer', 'uploading');
    const remotePartial = await lease(remote, 'elsewhere|1|y', new Date().toISOString(), 'staging');
    const mine = await mk('this process', 'saving');
    await lease(mine, WRITER_ID, old);
    const unleased = await mk('no lease at all', 'saving');
    const stagedOk = await mk('staged', 'uploading');
    mkdirSync(t.image.staging.dir, { recursive: true });
    writeFileSync(join(t.image.staging.dir, stagedOk), 'staged data');
    const stagedGone = await mk('staged data lost', 'uploading');
    // Partial files without a lease: removed once older than a lease.
    const orphanOld = `.${unleased}.11111111-1111-1111-1111-111111111111.partial`;
    const orphanNew = `.${unleased}.22222222-2222-2222-2222-222222222222.partial`;
    writeFileSync(join(t.dataDir, orphanOld), 'x');
    writeFileSync(join(t.dataDir, orphanNew), 'x');
    const past = (Date.now() - 2 * UPLOAD_LEASE_MS) / 1000;
    utimesSync(join(t.dataDir, orphanOld), past, past);

    await recoverInterruptedWrites(t.image);

    const status = async (id: string) => (await t.call('GET', `/v2/images/${id}`)).body.status;
    for (const id of [stale, deadPid, unleased, stagedGone]) expect(await status(id)).toBe('queued');
    expect(await status(remote)).toBe('uploading');
    expect(await status(mine)).toBe('saving');
    expect(await status(stagedOk)).toBe('uploading');
    const left = partials(t.dataDir);
    expect(left).not.toContain(stalePartial);
    expect(left).not.toContain(deadPartial);
    expect(left).not.toContain(orphanOld);
    expect(left).toContain(orphanNew);
    expect(partials(t.image.staging.dir)).toContain(remotePartial);
    const leases = (await db.selectFrom('image_uploads').select('image_id').execute()).map((r) => r.image_id).sort();
    expect(leases).toEqual([remote, mine].sort());
  });
});
