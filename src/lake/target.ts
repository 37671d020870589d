import fs from 'node:fs';
import path from 'node:path';
import type { LakeConfig } from './config.js';
import type { LakeTarget } from './lake-target.js';

export type { LakeTarget } from './lake-target.js';

/** Opens the configured target (the AWS SDK loads only for an s3:// target). */
export async function openTarget(lake: LakeConfig, baseDir: string): Promise<LakeTarget> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lake.target);
  if (m) {
    const { S3Target } = await import('./s3-target.js');
    return new S3Target(m[1]!, m[2]!.replace(/\/$/, ''), lake.s3);
  }
  return new LocalTarget(path.resolve(baseDir, lake.target));
}

class LocalTarget implements LakeTarget {
  constructor(private readonly root: string) {}

  tempPath(key: string): string {
    const full = path.join(this.root, key);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    // Leftovers of a crashed run are removed first; a dot-name is never read as the table's file.
    for (const f of fs.readdirSync(path.dirname(full)))
      if (f.startsWith(`.${path.basename(full)}.tmp-`))
        fs.rmSync(path.join(path.dirname(full), f), { recursive: true, force: true });
    return path.join(path.dirname(full), `.${path.basename(full)}.tmp-${process.pid}`);
  }

  async place(temp: string, key: string): Promise<number> {
    const full = path.join(this.root, key);
    fs.renameSync(temp, full);
    return fs.statSync(full).size;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const start = path.join(this.root, prefix);
    const walk = (dir: string) => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else out.push(path.relative(this.root, full).split(path.sep).join('/'));
      }
    };
    walk(start);
    return out;
  }

  async remove(key: string): Promise<void> {
    fs.rmSync(path.join(this.root, key), { force: true });
  }

  async fetch(key: string): Promise<string> {
    return path.join(this.root, key);
  }

  uri(key: string): string {
    return path.join(this.root, key);
  }
}
