// Package awsmanaged is the set of AWS managed policies mantle serves: the
// 1,569 policies AWS listed as current in 2026 (deprecated ones left out),
// each with AWS's name, path, policy ID, default version ID, dates and the
// default version's document, embedded gzip-compressed (policies.json.gz,
// 505 KB; 3.5 MB decompressed).
//
// Provenance: the documents and version IDs come from the iam-dataset
// project (MIT License, Copyright (c) 2021 Ian Mckay), the policy IDs and
// creation dates from AWS's ListPolicies output as published by the MAMIP
// project. The file is the reference data as received, compressed with
// `gzip -9n`; it is data, not code, and is never edited by hand: a newer set
// replaces the file whole.
//
// The data lacks two things AWS serves. Descriptions: only those mantle
// shipped before the full set are kept (Description). And 118 policies
// whose ID the published listings did not record: they get an ID derived
// from the name (DerivedID), in AWS's shape (ANPA and 17 base32
// characters) and the same on every mantle, so an ID a client saw stays
// valid across restarts and instances.
package awsmanaged
