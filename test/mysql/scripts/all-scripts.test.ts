/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): what holds for every pod script.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MySqlBackupStorage, MySqlCredentials, MySqlReplication, MySqlRestore, S3Credentials } from '../../../src';
import { SCRIPT_FILES } from '../../../src/mysql/scripts';
import { pod, disposePods } from './fixtures';

afterEach(disposePods);

describe('the scripts', () => {
  const dir = path.join(__dirname, '../../../src/mysql/scripts');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh')).sort();

  test.each(scripts)('%s uses no syntax MySQL 8.4 removed', (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).not.toMatch(/CHANGE MASTER|START SLAVE|STOP SLAVE|SHOW SLAVE|RESET SLAVE|SHOW MASTER|RESET MASTER|\bMASTER_[A-Z_]+|SOURCE_LOG_FILE|MASTER_AUTO_POSITION/);
  });

  test('the ConfigMap ships every script verbatim', () => {
    expect([...SCRIPT_FILES].sort()).toEqual(scripts);
    const storage = MySqlBackupStorage.s3({ bucket: 'backups', region: 'us-east-1', credentials: S3Credentials.fromSecret('s3') });
    const s = pod({
      replicas: 3, replication: MySqlReplication.groupReplication(), credentials: MySqlCredentials.fromGeneratedSecret(),
      backup: { storage, image: 'registry.example/mysql-tools:8.4.10', retention: { keepBackups: 7 } },
      restore: MySqlRestore.fromBackup({ storage, sourceName: 'db', image: 'registry.example/mysql-tools:8.4.10' }).toLatestBackup(),
    }, 'mysql-0');
    for (const file of scripts) expect(s.read(`etc/cdk8s-mysql/${file}`)).toBe(fs.readFileSync(path.join(dir, file), 'utf8'));
    // Group Replication's part only for a group, the credentials Job's, the backups', the prune job's and the restore's only with them.
    const plain = pod({ replicas: 3 }, 'mysql-1').list('etc/cdk8s-mysql');
    for (const file of ['group.sh', 'generate-credentials.sh', 's3.sh', 'backup.sh', 'verify-backup.sh', 'restore.sh', 'archiver.sh', 'prune.sh']) {
      expect(plain).not.toContain(file);
    }
  });
});
