using System;
using UnityEngine;

namespace Fixture.Combat
{
    /// <summary>Hit points of anything that can be damaged.</summary>
    public class Health : MonoBehaviour, IDamageable
    {
        [SerializeField] private float maxHealth = 100f;

        public float Current { get; private set; }
        public float Max { get { return maxHealth; } }
        public bool IsDead { get { return Current <= 0f; } }
        public event Action<float> Changed;
        public event Action Died;

        private void Awake()
        {
            Current = maxHealth;
        }

        public void TakeDamage(float amount)
        {
            if (IsDead) return;
            Current = Mathf.Max(0f, Current - amount);
            if (Changed != null) Changed(Current);
            if (IsDead && Died != null) Died();
        }

        public void Heal(float amount, bool overheal)
        {
            Current = overheal ? Current + amount : Mathf.Min(maxHealth, Current + amount);
            if (Changed != null) Changed(Current);
        }
    }
}
