import Printing

/// The queues of the CUPS server libcups is set to use, for a listing: a server that is down or
/// slow is told in one line (the message) instead of failing the command or holding it long.
func listCUPSQueues() async -> (queues: [CUPSQueue], problem: String?) {
    do {
        return (try await CUPSClient(connectTimeout: 2, requestTimeout: 10).queues(), nil)
    } catch {
        return ([], error.message)
    }
}
