import { createUser, fromSeed } from '@nats-io/nkeys';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GrnError } from '../../shared/errors.js';
import { readCredentials } from '../../shared/protocol/connect.js';

/**
 * NATS nkey users: the server's config holds only public keys, each client keeps its seed in a
 * file only its owner can read. Whoever holds a seed file connects with that user's permissions.
 */

export interface UserKey {
  /** `U…`: goes into nats.conf. */
  publicKey: string;
  /** `SU…`: goes into the client's credentials file and nowhere else. */
  seed: string;
}

export function newUserKey(): UserKey {
  const kp = createUser();
  return { publicKey: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) };
}

export function publicKeyOf(seed: string): string {
  return fromSeed(new TextEncoder().encode(seed)).getPublicKey();
}

/**
 * Writes a seed file, mode 0600 from the start (never world-readable, not even briefly). The
 * comment header says whose key it is; connectNats skips comment lines. `overwrite: false`
 * refuses an existing file, so a second `grn server init` cannot silently lock out running nodes.
 */
export async function writeCredentialsFile(file: string, key: UserKey, describe: string, opts: { overwrite: boolean }): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const text = [
    `# grn NATS credentials: ${describe}`,
    `# public key ${key.publicKey}`,
    '# Keep this file private: anyone holding it connects to the server with these permissions.',
    key.seed,
    '',
  ].join('\n');
  let handle;
  try {
    handle = await open(file, opts.overwrite ? 'w' : 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new GrnError(`${file} already exists (pass --force to replace it; nodes using the old file will be refused)`);
    throw err;
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  // 'w' on an existing file keeps its old mode.
  await chmod(file, 0o600);
}

/** The key pair in one of our nkey files (a `.creds` JWT file is not ours to reuse). */
export async function readUserKey(file: string): Promise<UserKey> {
  const creds = await readCredentials(file);
  if (creds.kind !== 'nkey') throw new GrnError(`${file}: expected an nkey seed file written by grn, found a JWT .creds file`);
  return { seed: creds.seed, publicKey: publicKeyOf(creds.seed) };
}
