// poolgate's store on Durable Objects: one SQLite-backed object per shard of the key space
// (internal/store.Shard: "p/<pool id>" for a user pool's keys, "global" for the rest), named
// by idFromName(shard). An object runs one call at a time and every call below is one
// synchronous transaction on its SQLite database (ctx.storage.transactionSync), so each call
// is atomic and a commit's conditions and writes happen at one instant. The Go side
// (edge/dostore.go) reaches the objects through StoreClient, which the bridge exposes.
//
// Schema, per object:
//   kv(key, value, version, expires)  expires: Unix ms, NULL for never; a row whose expires
//                                     has passed is absent to every call, and writes delete
//                                     a few such rows each (expiredPerWrite).
//   meta(name, n)                     "version": the last version handed out (versions of
//                                     the object's keys only grow, across deletes too);
//                                     "sealed": 1 once the migration from KV has finished
//                                     here (importEntries is refused from then on).
//   shards(name)                      in the "global" object only: every shard written to
//                                     (the Go side registers one before its first write), so
//                                     that a List whose prefix spans shards can visit them all.

import { DurableObject } from "cloudflare:workers";

const expiredPerWrite = 16; // expired rows a write removes at most
const maxListLimit = 1000;

export class PoolgateStore extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS kv (
      key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL, expires INTEGER) WITHOUT ROWID`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL");
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS shards (name TEXT PRIMARY KEY) WITHOUT ROWID");
    this.version = this.meta("version");
  }

  meta(name) {
    const row = this.sql.exec("SELECT n FROM meta WHERE name = ?", name).toArray()[0];
    return row === undefined ? 0 : row.n;
  }

  setMeta(name, n) {
    this.sql.exec("INSERT INTO meta (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = excluded.n", name, n);
  }

  // atomically runs fn in one transaction; a write also drops a few expired rows.
  atomically(fn, write) {
    const before = this.version;
    try {
      return this.ctx.storage.transactionSync(() => {
        const now = Date.now();
        const res = fn(now);
        if (write) {
          this.sql.exec(`DELETE FROM kv WHERE key IN
            (SELECT key FROM kv WHERE expires IS NOT NULL AND expires <= ? ORDER BY expires LIMIT ?)`, now, expiredPerWrite);
        }
        if (this.version !== before) this.setMeta("version", this.version);
        return res;
      });
    } catch (e) {
      this.version = before; // rolled back (versions handed out in it were never seen)
      throw e;
    }
  }

  // current returns the live row of key, or undefined.
  current(key, now, columns) {
    return this.sql.exec(`SELECT ${columns} FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)`, key, now).toArray()[0];
  }

  write(key, value, ttlMs, now) {
    this.version++;
    const expires = ttlMs > 0 ? now + ttlMs : null;
    this.sql.exec(`INSERT INTO kv (key, value, version, expires) VALUES (?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires = excluded.expires`,
    key, value, this.version, expires);
  }

  // get returns the value under key (an ArrayBuffer), or null.
  get(key) {
    return this.atomically((now) => this.current(key, now, "value")?.value ?? null, false);
  }

  // getEntry returns {value, version} for key, or null.
  getEntry(key) {
    return this.atomically((now) => this.current(key, now, "value, version") ?? null, false);
  }

  // put writes value (bytes) under key; ttlMs > 0 makes it expire that long from now.
  put(key, value, ttlMs) {
    this.atomically((now) => this.write(key, value, ttlMs, now), true);
  }

  delete(key) {
    this.atomically(() => {
      this.sql.exec("DELETE FROM kv WHERE key = ?", key);
    }, true);
  }

  // list returns {keys, more}: up to limit live keys that start with prefix and sort after
  // after ("" for the first page), in ascending byte order; more says whether others follow.
  list(prefix, after, limit) {
    limit = Math.min(Math.max(limit | 0, 1), maxListLimit);
    return this.atomically((now) => {
      // Keys with the prefix are contiguous in byte order from the prefix on: read in order
      // and stop at the first that lacks it.
      const rows = this.sql.exec(`SELECT key FROM kv WHERE key >= ? AND key > ? AND (expires IS NULL OR expires > ?)
        ORDER BY key LIMIT ?`, prefix, after, now, limit + 1);
      const keys = [];
      let more = false;
      for (const { key } of rows) {
        if (!key.startsWith(prefix)) break;
        if (keys.length === limit) {
          more = true;
          break;
        }
        keys.push(key);
      }
      return { keys, more };
    }, false);
  }

  // commit applies ops ({key, kind: 0 check | 1 put | 2 delete, conditional, ifVersion,
  // value, ttlMs}) if every condition holds, and returns true; otherwise it writes nothing
  // and returns false. The Go side has checked the ops (internal/store.CheckCommit).
  commit(ops) {
    return this.atomically((now) => {
      for (const op of ops) {
        if (!op.conditional) continue;
        const version = this.current(op.key, now, "version")?.version ?? 0;
        if (version !== op.ifVersion) return false;
      }
      for (const op of ops) {
        if (op.kind === 1) this.write(op.key, op.value, op.ttlMs, now);
        else if (op.kind === 2) this.sql.exec("DELETE FROM kv WHERE key = ?", op.key);
      }
      return true;
    }, true);
  }

  // importEntries copies entries ({key, value, expires: Unix ms or 0}) from the KV era: each
  // only where its key is absent, so that nothing written here is overwritten. After seal it
  // imports nothing (a late copier must not bring back what was deleted since). It returns
  // how many entries it wrote, or -1 when sealed.
  importEntries(entries) {
    return this.atomically((now) => {
      if (this.meta("sealed") === 1) return -1;
      let n = 0;
      for (const e of entries) {
        if (e.expires > 0 && e.expires <= now) continue;
        if (this.current(e.key, now, "version") !== undefined) continue;
        this.write(e.key, e.value, e.expires > 0 ? e.expires - now : 0, now);
        n++;
      }
      return n;
    }, true);
  }

  // registerShard records a shard that is being written to (called on the "global" object).
  registerShard(name) {
    this.atomically(() => {
      this.sql.exec("INSERT INTO shards (name) VALUES (?) ON CONFLICT DO NOTHING", name);
    }, false);
  }

  // shards returns every registered shard's name.
  shards() {
    return this.sql.exec("SELECT name FROM shards ORDER BY name").toArray().map((r) => r.name);
  }

  // seal ends the migration for this object: importEntries is refused from now on.
  seal() {
    this.atomically(() => this.setMeta("sealed", 1), false);
  }
}

// StoreClient is what Go calls (through the bridge's submit, in the request's own context):
// call(shard, method, ...args) calls method on the shard's object. The stub is made in the
// calling context, as workerd ties it to the request that made it. Objects are named
// prefix + shard: the Worker's prefix is "", tests use their own for a store of new objects.
export class StoreClient {
  constructor(namespace, prefix = "") {
    this.ns = namespace;
    this.prefix = prefix;
  }

  call(shard, method, ...args) {
    return this.ns.get(this.ns.idFromName(this.prefix + shard))[method](...args);
  }
}
