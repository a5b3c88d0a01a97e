// Migrates the app database and writes the embedded defaults (sandbox SMTP profile, sample flow, contacts).
import { readConfig } from '../activities/config';
import { openDatabase } from '../activities/db';
import { seed } from '../activities/seed';

export async function setup(): Promise<void> {
  const config = readConfig();
  const db = await openDatabase(config.databaseFile);
  try {
    await seed(db, config);
  } finally {
    await db.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await setup();
