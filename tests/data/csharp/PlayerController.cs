using System.Collections;
using UnityEngine;

/// <summary>A small, correct player script: no rule should fire on it.</summary>
[RequireComponent(typeof(Rigidbody))]
public class PlayerController : MonoBehaviour
{
    [SerializeField] private float speed = 5f;
    [SerializeField, Range(1f, 20f)] private float jumpForce = 7f;
    [Header("Refs")]
    [SerializeField] private Transform groundCheck;

    private Rigidbody body;
    private Vector3 input;
    private readonly WaitForSeconds blinkDelay = new WaitForSeconds(0.2f);

    private void Awake()
    {
        body = GetComponent<Rigidbody>();
    }

    private void Update()
    {
        input = new Vector3(Input.GetAxis("Horizontal"), 0f, Input.GetAxis("Vertical"));
        if (Input.GetKeyDown(KeyCode.Space) && groundCheck != null)
        {
            body.AddForce(Vector3.up * jumpForce, ForceMode.Impulse);
        }
    }

    private void FixedUpdate()
    {
        body.AddForce(input * speed);
    }

    private void OnTriggerEnter(Collider other)
    {
        if (other.CompareTag("Coin"))
        {
            StartCoroutine(Blink(3));
            Destroy(other.gameObject);
        }
    }

    private IEnumerator Blink(int times)
    {
        for (int i = 0; i < times; i++)
        {
            yield return blinkDelay;
        }
    }
}
