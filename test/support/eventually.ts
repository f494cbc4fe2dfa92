/**
 * Polls until `check` holds, or fails after `timeoutMs`: for state that crosses replicas (Redis
 * pub/sub, periodic re-reads) asynchronously.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
