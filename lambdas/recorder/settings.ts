/** Configuration of the recorder, read once at cold start. */
export interface RecorderSettings {
  readonly tableName: string;
}

export class MissingEnvironmentVariableError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set`);
    this.name = "MissingEnvironmentVariableError";
  }
}

export function loadSettings(env: Readonly<Record<string, string | undefined>>): RecorderSettings {
  const tableName = env.MESSAGES_TABLE_NAME;
  if (!tableName) throw new MissingEnvironmentVariableError("MESSAGES_TABLE_NAME");
  return { tableName };
}
