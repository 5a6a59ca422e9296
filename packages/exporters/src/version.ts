/** The version of @ryot/exporters' own meter scope (ryot_cluster_*); kept equal to package.json's by a test. */
export const EXPORTERS_VERSION = '0.1.0';
