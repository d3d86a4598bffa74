/** Static credentials the AWS SDK clients use against embedded emulators (never real credentials). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } as const;
