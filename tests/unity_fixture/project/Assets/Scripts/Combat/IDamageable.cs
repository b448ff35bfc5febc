namespace Fixture.Combat
{
    public interface IDamageable
    {
        void TakeDamage(float amount);
    }

    public enum DamageKind { Physical, Fire, Ice }
}
