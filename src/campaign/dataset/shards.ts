/**
 * Large files in shards: past `rows` rows a file is split as Hugging Face names shards,
 * `<stem>-00000-of-00003.<ext>`; one shard keeps the plain name `<stem>.<ext>`.
 */
export const DEFAULT_SHARD_ROWS = 5000;

const pad = (n: number) => String(n).padStart(5, '0');

export function shardCount(rows: number, perShard: number): number {
  return Math.max(1, Math.ceil(rows / perShard));
}

export function shardName(stem: string, ext: string, index: number, count: number): string {
  return count === 1 ? `${stem}.${ext}` : `${stem}-${pad(index)}-of-${pad(count)}.${ext}`;
}

/** The glob the dataset card gives for all shards of a file. */
export function shardGlob(stem: string, ext: string, count: number): string {
  return count === 1 ? `${stem}.${ext}` : `${stem}-*.${ext}`;
}

/** Whether `name` is a shard (or the unsharded file) of `stem`.`ext`. */
export function isShardOf(name: string, stem: string, ext: string): boolean {
  return name === `${stem}.${ext}` || new RegExp(`^${stem}-\\d{5}-of-\\d{5}\\.${ext}$`).test(name);
}
