(import 'cloudstack-mshost.libsonnet')
