/// Stops the run with `message` when `condition` is false; libFuzzer then saves the input as a
/// crash. `fatalError`, not `precondition`: optimised builds drop a precondition's message.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

/// The fuzzer's input as a buffer. libFuzzer may pass a null pointer with size 0.
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
}
