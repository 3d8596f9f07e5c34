/**
 * The runner's Cancel sends SIGINT, then SIGTERM about 7.5 s later, then kills the process.
 * Node would exit at the first signal and leave whatever was half switched; instead the first
 * signal stops new work and starts the rollback, which goes on as long as the runner lets it
 * (the post step finishes what it could not).
 */
export interface RunSignal {
  /** Aborted on cancellation or at the deadline, with the reason as an Error. */
  readonly signal: AbortSignal
  dispose(): void
}

export function trapCancellation(deadlineMs: number, onSignal: (name: string) => void, processLike: Pick<NodeJS.Process, 'on' | 'off'> = process): RunSignal {
  const controller = new AbortController()
  const deadline = setTimeout(() => {
    controller.abort(new Error(`the deploy ran past its deadline of ${Math.round(deadlineMs / 60_000)} minutes (the 'deadline' input)`))
  }, deadlineMs)
  deadline.unref()
  const handle = (name: NodeJS.Signals) => {
    onSignal(name)
    if (!controller.signal.aborted) controller.abort(new Error(`the run was cancelled (${name})`))
  }
  const onInt = () => handle('SIGINT')
  const onTerm = () => handle('SIGTERM')
  processLike.on('SIGINT', onInt)
  processLike.on('SIGTERM', onTerm)
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(deadline)
      processLike.off('SIGINT', onInt)
      processLike.off('SIGTERM', onTerm)
    }
  }
}
