/** Keys of the MySQL credentials Secret. */
export interface MySqlSecretKeys {
  /**
   * Key of root's password.
   * @default 'root-password'
   */
  readonly rootPassword?: string;
  /**
   * Key of the replication (and clone) user's password.
   * @default 'replication-password'
   */
  readonly replicationPassword?: string;
  /**
   * Key of the application user's password (when `database` is set).
   * @default 'password'
   */
  readonly userPassword?: string;
  /**
   * Key of the metrics user's password (when `metrics` is set).
   * @default 'exporter-password'
   */
  readonly exporterPassword?: string;
  /**
   * Key of the backup user's password (when `backup` is set).
   * @default 'backup-password'
   */
  readonly backupPassword?: string;
}

/** Passwords for {@link MySqlCredentials.fromInsecurePlaintextPasswords}. */
export interface MySqlPlaintextPasswords {
  /** root's password. */
  readonly rootPassword: string;
  /** The replication user's password. */
  readonly replicationPassword: string;
  /**
   * The application user's password (needed when `database` is set).
   * @default - none
   */
  readonly userPassword?: string;
  /**
   * The metrics user's password (needed when `metrics` is set).
   * @default - none
   */
  readonly exporterPassword?: string;
  /**
   * The backup user's password (needed when `backup` is set).
   * @default - none
   */
  readonly backupPassword?: string;
}

/**
 * Where the MySQL passwords come from. They reach the pods only as `secretKeyRef`s, so the
 * synthesized YAML holds no password unless you opt in with `fromInsecurePlaintextPasswords`.
 */
export class MySqlCredentials {
  /**
   * A Secret you create out of band (kubectl, SealedSecrets, External Secrets, Vault, ...).
   * @param secretName the Secret's name
   * @param keys the Secret's keys, if they differ from the defaults
   */
  public static fromSecretName(secretName: string, keys: MySqlSecretKeys = {}): MySqlCredentials {
    return new MySqlCredentials(secretName, keys, undefined);
  }

  /**
   * A Secret the cluster fills in itself, for a first apply that needs nothing done by hand. The
   * construct emits the Secret without values and a Job (`<name>-credentials`) that writes a random
   * password into every key that has none, and never changes a key that has one: running it again,
   * or after you set a password yourself, changes nothing. Its Role may read and patch that one
   * Secret. GitOps tools never prune or delete the Secret (its annotations say so), since the data
   * directories keep the passwords it held; the Job carries Argo CD hook and Flux force annotations
   * because a Job cannot be updated in place.
   * @param secretName the Secret's name
   * @default secretName - '<name>-credentials'
   * @param keys the Secret's keys, if they differ from the defaults
   */
  public static fromGeneratedSecret(secretName?: string, keys: MySqlSecretKeys = {}): MySqlCredentials {
    return new MySqlCredentials(secretName, keys, undefined, true);
  }

  /**
   * Writes the passwords in PLAINTEXT into a Secret in the synthesized YAML, and so into git.
   * Only for throw-away environments (a laptop, a CI cluster).
   */
  public static fromInsecurePlaintextPasswords(passwords: MySqlPlaintextPasswords): MySqlCredentials {
    return new MySqlCredentials(undefined, {}, { ...passwords });
  }

  private constructor(
    /** The Secret name, if it exists outside the app. */
    public readonly secretName: string | undefined,
    /** @internal */ public readonly _keys: MySqlSecretKeys,
    /** @internal */ public readonly _plaintext: MySqlPlaintextPasswords | undefined,
    /** @internal */ public readonly _generated = false,
  ) {}
}
