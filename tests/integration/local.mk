# tests/integration/: owned by the integration-test engineer
