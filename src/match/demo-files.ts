import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type GeneratedTransaction, generateTransactions, loyaltyWorld } from '../generate/transactions.js';
import type { MatchingConfig } from './config.js';

/** What `writeDemoFiles` wrote: the merchants CSV, the transaction files, and the generator's ground truth. */
export interface DemoFiles {
  readonly merchants: string;
  readonly files: string[];
  readonly purchases: number;
}

/**
 * Writes a generated loyalty programme as its participants would send it: a merchants CSV, and per provider
 * and scheme a file in their own column names (the reverse of the configured mappings): CSV for providers,
 * JSON for schemes, laid out as the import directory expects (payment/<provider>/, scheme/<scheme>/).
 */
export async function writeDemoFiles(
  dir: string,
  config: MatchingConfig,
  options: { count: number; seed: number; start: number },
): Promise<DemoFiles> {
  await mkdir(dir, { recursive: true });
  const world = loyaltyWorld(options.count, options.seed);
  const merchants = path.join(dir, 'merchants.csv');
  await writeFile(
    merchants,
    `identifier,id_type,provider,scheme,location\n${world.merchants
      .map((m) => [m.identifier, m.id_type, m.provider, m.scheme, m.location].join(','))
      .join('\n')}\n`,
  );
  const byOwner = new Map<string, GeneratedTransaction[]>();
  for (const t of generateTransactions(options)) {
    const key = `${t.side}/${t.owner}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), t]);
  }
  const stamp = new Date(options.start).toISOString().slice(0, 10);
  const files: string[] = [];
  for (const [key, list] of byOwner) {
    const [side, owner] = key.split('/') as ['payment' | 'scheme', string];
    const columns =
      (side === 'payment' ? config.providers[owner]?.columns : config.schemes[owner]?.columns) ?? {};
    const rename = (r: Record<string, string>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [columns[k] ?? k, v]));
    const ownerDir = path.join(dir, side, owner);
    await mkdir(ownerDir, { recursive: true });
    if (side === 'payment') {
      const fields = [...new Set(list.flatMap((t) => Object.keys(t.record)))];
      const header = fields.map((f) => columns[f] ?? f);
      const rows = list.map((t) => fields.map((f) => csvCell(t.record[f] ?? '')).join(','));
      const file = path.join(ownerDir, `${owner}-${stamp}.csv`);
      await writeFile(file, `${header.map(csvCell).join(',')}\n${rows.join('\n')}\n`);
      files.push(file);
    } else {
      const file = path.join(ownerDir, `${owner}-${stamp}.json`);
      await writeFile(
        file,
        JSON.stringify(
          list.map((t) => rename({ ...t.record })),
          null,
          1,
        ),
      );
      files.push(file);
    }
  }
  return { merchants, files, purchases: options.count };
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}
