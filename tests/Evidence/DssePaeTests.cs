using System.Text;
using RunbookHost.Evidence;

namespace RunbookHost.Tests.Evidence;

public class DssePaeTests
{
    [Fact]
    public void EncodesTheDsseV1Example()
    {
        // From the DSSE spec (protocol.md): PAE("http://example.com/HelloWorld", "hello world").
        var pae = DssePae.Encode("http://example.com/HelloWorld", "hello world"u8);
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void LengthsAreByteCountsNotCharacterCounts()
    {
        var pae = DssePae.Encode("t", Encoding.UTF8.GetBytes("é"));
        Assert.Equal("DSSEv1 1 t 2 é", Encoding.UTF8.GetString(pae));
    }
}
