(import 'cloudstack.libsonnet') + (import 'exporter.libsonnet')
