"""Test harness: real servers started on loopback, random ports, throwaway directories."""
