using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class CholeskyTests
{
    [Fact]
    public void FactorsAndSolvesKnownSystem()
    {
        // Textbook SPD matrix with L = [[2,0,0],[6,1,0],[-8,5,3]]; b = A [1,2,3].
        float[] a = [4, 12, -16, 12, 37, -43, -16, -43, 98];
        float[] b = [-20, -43, 192];

        Cholesky.Factor(a, 3);
        Assert.Equal(2f, a[0], 5);
        Assert.Equal(6f, a[3], 5);
        Assert.Equal(1f, a[4], 5);
        Assert.Equal(-8f, a[6], 5);
        Assert.Equal(5f, a[7], 5);
        Assert.Equal(3f, a[8], 5);

        Cholesky.Solve(a, 3, b);
        Assert.Equal(1f, b[0], 4);
        Assert.Equal(2f, b[1], 4);
        Assert.Equal(3f, b[2], 4);
    }

    [Fact]
    public void ThrowsOnIndefiniteMatrix()
    {
        float[] a = [1, 2, 2, 1];
        Assert.Throws<InvalidOperationException>(() => Cholesky.Factor(a, 2));
    }

    [Fact]
    public void ThrowsOnSingularMatrix()
    {
        float[] a = [1, 1, 1, 1];
        Assert.Throws<InvalidOperationException>(() => Cholesky.Factor(a, 2));
    }
}
