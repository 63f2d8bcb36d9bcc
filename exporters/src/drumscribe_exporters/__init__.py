"""drumscribe exporters: checkpoint -> ONNX + sidecar, parity, quantized variants."""
