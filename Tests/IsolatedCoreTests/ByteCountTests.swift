import IsolatedCore
import Testing

@Suite("Sizes in error messages")
struct ByteCountTests {
    @Test("whole GiB and MiB read as such, other sizes to a tenth of a MiB, small ones in bytes")
    func descriptions() {
        #expect(ByteCount.describe(1 << 30) == "1 GiB")
        #expect(ByteCount.describe(512 << 20) == "512 MiB")
        #expect(ByteCount.describe((16 << 20) + 1) == "16.0 MiB")
        #expect(ByteCount.describe(3 << 19) == "1.5 MiB")
        #expect(ByteCount.describe(1000) == "1000 bytes")
    }
}
