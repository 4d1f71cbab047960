/**
 * The output store on the local disk: keys are paths under OUTPUT_DIR. Writes go through the transcript export's
 * confinement (each folder made and checked on its own, none may be a symlink) and are atomic (temp file + rename);
 * reads, lists and removals only touch what resolves inside OUTPUT_DIR's real path.
 */
import { constants, type Dirent } from 'node:fs';
import { open, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileErrorCode, OutputPathError } from '../contracts/errors';
import { outputRelativePath, resolveOutputFolder, writeFileAtomic } from './files';
import { checkedKey, outputKeyProblem, type OutputStore, type StoredObject } from './store';

/** O_NOFOLLOW where the platform has it: the file named by a checked real path is not swapped for a symlink. */
const OPEN_EXISTING = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

export class LocalStore implements OutputStore {
  readonly setting = 'OUTPUT_DIR' as const;
  /** As configured (it may itself be a symlink: the user's choice), resolved against the working folder. */
  private readonly root: string;

  constructor(private readonly outputDir: string) {
    this.root = path.resolve(outputDir);
  }

  location(key?: string): string {
    return key === undefined ? this.root : path.join(this.root, ...checkedKey(key).split('/'));
  }

  keyOf(location: string): string | undefined {
    const key = outputRelativePath(this.outputDir, location);
    return outputKeyProblem(key) === undefined ? key : undefined;
  }

  async write(key: string, body: string | Uint8Array): Promise<string> {
    const folders = checkedKey(key).split('/');
    const name = folders.pop()!;
    const folder = await resolveOutputFolder(this.root, folders);
    await writeFileAtomic(path.join(folder.real, name), body, { confined: true });
    return path.join(folder.shown, name);
  }

  async read(key: string): Promise<Buffer | undefined> {
    const handle = await this.openFile(key);
    if (!handle) return undefined;
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async openRead(key: string): Promise<StoredObject | undefined> {
    const handle = await this.openFile(key);
    if (!handle) return undefined;
    const { size } = await handle.stat();
    return { body: handle.createReadStream(), size };
  }

  async exists(key: string): Promise<boolean> {
    const handle = await this.openFile(key);
    await handle?.close();
    return handle !== undefined;
  }

  async list(folder: string): Promise<string[]> {
    const real = await this.confinedPath(checkedKey(folder));
    if (real === undefined) return [];
    const keys: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (fileErrorCode(err) === 'ENOTDIR' || fileErrorCode(err) === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        // Hidden names are never keys (temp files of writes in progress are); symlinks are not followed.
        if (entry.name.startsWith('.')) continue;
        const key = `${prefix}/${entry.name}`;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (entry.isFile()) keys.push(key);
      }
    };
    await walk(real, folder);
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    const folders = checkedKey(key).split('/');
    const name = folders.pop()!;
    const folder = folders.length === 0 ? await this.realRoot() : await this.confinedPath(folders.join('/'));
    if (folder !== undefined) await rm(path.join(folder, name), { force: true });
  }

  /** OUTPUT_DIR's real path; undefined while it does not exist. */
  private async realRoot(): Promise<string | undefined> {
    try {
      return await realpath(this.root);
    } catch (err) {
      if (fileErrorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * The real path of `key` (checked), refused when it resolves outside OUTPUT_DIR (a symlink there does not lead
   * a reader to other files); undefined when nothing is there.
   */
  private async confinedPath(key: string): Promise<string | undefined> {
    const root = await this.realRoot();
    if (root === undefined) return undefined;
    let real: string;
    try {
      real = await realpath(path.join(root, ...key.split('/')));
    } catch (err) {
      const code = fileErrorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    if (!real.startsWith(root + path.sep)) throw new OutputPathError(`${key} is outside OUTPUT_DIR`);
    return real;
  }

  /** The file at `key`, open for reading; undefined when there is none. */
  private async openFile(key: string) {
    const real = await this.confinedPath(checkedKey(key));
    if (real === undefined) return undefined;
    const handle = await open(real, OPEN_EXISTING).catch((err: unknown) => {
      if (fileErrorCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (handle && !(await handle.stat()).isFile()) {
      await handle.close();
      throw new OutputPathError(`${key} is not a file`);
    }
    return handle;
  }
}
