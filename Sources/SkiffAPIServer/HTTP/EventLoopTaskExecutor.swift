import NIOCore

/// A task executor that runs every job on one NIO event loop. A connection's requests are handled under it (see
/// `APIConnectionChannel.handle`), on the event loop that reads and writes the connection's socket: no thread hop
/// between the socket and the handler in either direction. A store call still suspends the handler (SQLite runs on
/// its own queues), so the loop serves other connections meanwhile; what runs here is the handler's own CPU work.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
