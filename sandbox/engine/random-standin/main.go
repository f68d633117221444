// Stand-in for pulumi-resource-random, built by sandbox/engine/toolchain.sh.
//
// The real provider (github.com/pulumi/pulumi-random, bridged from
// terraform-provider-random) is not served by the Go module proxy this project
// can reach, so this small provider plays it for local engine runs. It
// implements the resources the program uses, with the same type tokens,
// property names, defaults and replace-on-any-change behaviour:
//
//	random:index/randomPassword:RandomPassword  (result, bcryptHash)
//	random:index/randomString:RandomString      (result)
//
// Any other random resource fails with a clear error. Not for production use:
// it exists to let `pulumi up` against a local cluster run end to end.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"

	"golang.org/x/crypto/bcrypt"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Set with -ldflags "-X main.version=..." to the version @pulumi/random requests.
var version = "0.0.0"

const (
	passwordType = "random:index/randomPassword:RandomPassword"
	stringType   = "random:index/randomString:RandomString"
)

// Same character classes and default special set as terraform-provider-random.
const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

var inputKeys = []string{
	"keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper",
	"number", "numeric", "overrideSpecial", "special", "upper",
}

type randomProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("%s (state-labs stand-in for pulumi-resource-random)\n", version)
		return
	}
	err := provider.Main("random", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &randomProvider{}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func (p *randomProvider) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *randomProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, err := json.Marshal(map[string]any{
		"name":        "random",
		"version":     version,
		"description": "state-labs stand-in for pulumi-random (RandomPassword, RandomString only)",
	})
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, err
}

func (p *randomProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *randomProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *randomProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *randomProvider) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func checkType(urn string) error {
	t := string(resource.URN(urn).Type())
	if t != passwordType && t != stringType {
		return fmt.Errorf("resource type %s is not implemented by the state-labs stand-in for "+
			"pulumi-resource-random (only RandomPassword and RandomString are)", t)
	}
	return nil
}

// plain returns v without its secret wrapper.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func boolOr(m resource.PropertyMap, k string, def bool) bool {
	if v, ok := m[resource.PropertyKey(k)]; ok {
		if v = plain(v); v.IsBool() {
			return v.BoolValue()
		}
	}
	return def
}

func numOr(m resource.PropertyMap, k string, def float64) float64 {
	if v, ok := m[resource.PropertyKey(k)]; ok {
		if v = plain(v); v.IsNumber() {
			return v.NumberValue()
		}
	}
	return def
}

// withDefaults mirrors the real provider's Check: it fills the defaults in.
func withDefaults(in resource.PropertyMap) resource.PropertyMap {
	out := in.Copy()
	for _, k := range []string{"special", "upper", "lower"} {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewBoolProperty(true)
		}
	}
	// 'number' is the deprecated spelling of 'numeric'; both end up equal.
	numeric := boolOr(in, "numeric", boolOr(in, "number", true))
	if _, ok := out["numeric"]; !ok {
		out["numeric"] = resource.NewBoolProperty(numeric)
	}
	if _, ok := out["number"]; !ok {
		out["number"] = resource.NewBoolProperty(numeric)
	}
	for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewNumberProperty(0)
		}
	}
	return out
}

func (p *randomProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), marshalOpts)
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	lv, ok := news["length"]
	switch {
	case !ok:
		failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "Missing required property 'length'"})
	case plain(lv).IsNumber() && plain(lv).NumberValue() < 1:
		failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length must be at least 1"})
	}
	out := withDefaults(news)
	ins, err := plugin.MarshalProperties(out, marshalOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: ins, Failures: failures}, nil
}

func (p *randomProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := plugin.UnmarshalProperties(oldStruct, marshalOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), marshalOpts)
	if err != nil {
		return nil, err
	}
	olds, news = withDefaults(olds), withDefaults(news)
	var replaces []string
	for _, k := range inputKeys {
		o, oOK := olds[resource.PropertyKey(k)]
		n, nOK := news[resource.PropertyKey(k)]
		if oOK != nOK || (oOK && !plain(o).DeepEquals(plain(n))) {
			replaces = append(replaces, k)
		}
	}
	if len(replaces) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	// Every input forces a new value, as in terraform-provider-random.
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: replaces, DeleteBeforeReplace: false,
	}, nil
}

func pick(set string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, err
	}
	return set[n.Int64()], nil
}

// generate follows terraform-provider-random: the minimum counts of each
// enabled class first, the rest from all enabled classes, then a shuffle.
func generate(in resource.PropertyMap) (string, error) {
	length := int(numOr(in, "length", 0))
	special := specialChars
	if v, ok := in["overrideSpecial"]; ok && plain(v).IsString() {
		special = plain(v).StringValue()
	}
	type class struct {
		on    bool
		chars string
		min   int
	}
	classes := []class{
		{boolOr(in, "upper", true), upperChars, int(numOr(in, "minUpper", 0))},
		{boolOr(in, "lower", true), lowerChars, int(numOr(in, "minLower", 0))},
		{boolOr(in, "numeric", boolOr(in, "number", true)), numericChars, int(numOr(in, "minNumeric", 0))},
		{boolOr(in, "special", true), special, int(numOr(in, "minSpecial", 0))},
	}
	var all string
	var out []byte
	for _, c := range classes {
		if !c.on || c.chars == "" {
			continue
		}
		all += c.chars
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	if all == "" {
		return "", fmt.Errorf("at least one of upper, lower, numeric and special must be true")
	}
	if len(out) > length {
		return "", fmt.Errorf("length (%d) is less than the sum of the minimum counts (%d)", length, len(out))
	}
	for len(out) < length {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- { // Fisher-Yates with crypto/rand
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func (p *randomProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	in, err := plugin.UnmarshalProperties(req.GetProperties(), marshalOpts)
	if err != nil {
		return nil, err
	}
	out := withDefaults(in)
	isPassword := string(resource.URN(req.GetUrn()).Type()) == passwordType
	if req.GetPreview() {
		out["result"] = resource.MakeComputed(resource.NewStringProperty(""))
		if isPassword {
			out["bcryptHash"] = resource.MakeComputed(resource.NewStringProperty(""))
		}
	} else {
		result, err := generate(out)
		if err != nil {
			return nil, err
		}
		out["result"] = resource.NewStringProperty(result)
		if isPassword {
			// bcrypt reads at most 72 bytes and newer x/crypto refuses
			// longer input: hash the first 72, as bcrypt always did.
			in := []byte(result)
			if len(in) > 72 {
				in = in[:72]
			}
			hash, err := bcrypt.GenerateFromPassword(in, bcrypt.DefaultCost)
			if err != nil {
				return nil, err
			}
			out["bcryptHash"] = resource.NewStringProperty(string(hash))
		}
	}
	st, err := plugin.MarshalProperties(out, marshalOpts)
	if err != nil {
		return nil, err
	}
	id := "none" // what the real provider reports for these resources
	if req.GetPreview() {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: st}, nil
}

func (p *randomProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *randomProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	// Diff replaces on every input change, so an update only carries the
	// outputs over (e.g. after a state upgrade with no input change).
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), marshalOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), marshalOpts)
	if err != nil {
		return nil, err
	}
	out := withDefaults(news)
	for _, k := range []string{"result", "bcryptHash"} {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			out[resource.PropertyKey(k)] = v
		}
	}
	st, err := plugin.MarshalProperties(out, marshalOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: st}, nil
}

func (p *randomProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}
