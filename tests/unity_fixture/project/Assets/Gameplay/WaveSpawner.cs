using UnityEngine;

namespace Fixture.Gameplay
{
    public class WaveSpawner : MonoBehaviour
    {
        [SerializeField] private GameObject enemyPrefab;

        public int CurrentWave { get; private set; }

        public void StartWave(int number)
        {
            CurrentWave = number;
            for (int i = 0; i < number; i++)
            {
                Instantiate(enemyPrefab, transform.position, Quaternion.identity);
            }
        }
    }
}
