// Package awsproto speaks AWS's wire protocols: it decodes Query (form) and
// JSON 1.1 inputs into input structs, validates them against their struct
// tags with AWS's ValidationError wording, and encodes results and errors as
// AWS's XML and JSON shapes.
//
// Input structs name their fields as AWS names its parameters. Tags:
//
//	aws:"required,min=1,max=64"   required; length (strings, lists) or value (integers) bounds
//	pattern:"[\\w+=,.@-]+"        AWS's regular expression (Go-quoted, as every tag value), matched against the whole value
//	enum:"Active|Inactive"        the allowed values
//	query:"arn"                   the wire name, where AWS spells it other than the field
package awsproto
