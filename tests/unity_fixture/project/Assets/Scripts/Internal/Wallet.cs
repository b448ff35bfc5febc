// Internal on purpose: a new script in Assembly-CSharp can use it, so the check must too.
class Wallet
{
    internal int Coins;

    public void Add(int amount)
    {
        Coins += amount;
    }
}
