// Package input owns the sources of messages: unix datagram sockets (such
// as /dev/log), UDP sockets and /dev/kmsg. Each open source is read by one
// goroutine (Run), which drains it in batches: it waits until the source is
// readable, then reads with recvmmsg(2) (or read(2) for /dev/kmsg) until
// the source is empty or the batch is full, parses every message, and hands
// the Batch to the consumer. It reads again only after the consumer has
// called Batch.Done, so no more than one batch per source is ever out of
// the kernel and not yet written.
//
// A Batch and its Messages belong to the consumer from the moment they are
// received until Done; after Done the reader reuses their memory.
//
// Rules applied to what is read, as sysklogd does:
//   - A message from a local source (unix socket) shows the daemon's host
//     name, whatever HOSTNAME it carries; one from UDP shows its HOSTNAME,
//     or the sender's address when it has none.
//   - The kern facility is reserved to the kernel: a kern message from a
//     socket is logged as user.
//   - A datagram longer than msg.MaxSize is cut and marked (never dropped).
package input
