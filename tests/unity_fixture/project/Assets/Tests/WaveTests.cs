using NUnit.Framework;

public class WaveTests
{
    [Test]
    public void StartsAtZero() { Assert.AreEqual(0, 0); }
}
